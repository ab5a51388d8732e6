"""What every ingest job shares: settings, the warehouse connection, errors, logging."""
