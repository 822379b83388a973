DROP TABLE alerts.risk_scores;
DROP TABLE alerts.risk_checks;
