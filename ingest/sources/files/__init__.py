"""Landing files: <landing>/<entity>/<name>.jsonl, .jsonl.gz or .csv (docs/contract.md)."""
