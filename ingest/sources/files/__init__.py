"""Landing files: <landing>/<entity>/<name>.jsonl, .jsonl.gz or .csv (CONTRACT.md section 1)."""
