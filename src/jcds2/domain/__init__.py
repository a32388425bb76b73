"""The domain: values, errors and pure arithmetic. No I/O happens here."""
