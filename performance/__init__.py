"""Sales-rep performance: the points file, awards per activity, monthly points and the KPI."""
