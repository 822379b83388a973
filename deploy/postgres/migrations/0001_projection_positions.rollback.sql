DROP TABLE projection_positions;
