"""Getting data in: the bulk writer, readers and mappings, and the demo-company generator."""
