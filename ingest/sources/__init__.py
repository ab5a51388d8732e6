"""The ways records arrive: one package per transport (landing files now; database, API next)."""
