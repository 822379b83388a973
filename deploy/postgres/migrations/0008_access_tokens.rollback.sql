DROP TABLE public.access_tokens;
