"""Pure pipeline stages: intake, clean, ocr (and later classify, extract, pdfa, sign)."""
