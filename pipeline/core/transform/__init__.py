"""Transform: normalise, extract fields, detect language, apply record rules."""
