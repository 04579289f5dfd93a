"""Text stages: decoding, Markdown and HTML reading, extraction and normalisation."""
