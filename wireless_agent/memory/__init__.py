"""Agent memory: an offline embedding function and the Chroma-backed stores."""
