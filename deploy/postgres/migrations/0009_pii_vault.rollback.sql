DROP TABLE funnel.lead_contacts;
DROP TABLE public.erased_leads;
DROP TABLE public.erasures;
DROP TABLE public.pii_keys;
