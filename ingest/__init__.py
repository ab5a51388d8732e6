"""The loaders: the entity contract in code, validation, the COPY batch loader, rejects and
watermarks, one folder per source system (files, the source database, the DataForge API)."""
