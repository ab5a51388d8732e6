"""DataForge API: GET /api/outcomes and /api/feedback, paged by limit/offset (docs/contract.md)."""
