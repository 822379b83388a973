DROP TABLE alerts.risk_crossings;
DROP TABLE public.risk_models;
