"""sohoa: scanned Vietnamese dossiers to signed, searchable, reusable e-records."""

__version__ = "0.1.0"
