DROP SCHEMA alerts CASCADE;
DELETE FROM projection_positions WHERE projector LIKE 'alerts:%';
