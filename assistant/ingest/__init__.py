"""Ingestion: files -> normalized documents with metadata -> structure-aware chunks."""
