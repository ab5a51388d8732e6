"""Watch area: the warehouse watches itself — run history, anomalies, restatements (issue 14)."""
