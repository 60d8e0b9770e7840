"""Stage 4, translate: offline engines (argos, apertium), the translator that masks protected spans and
batches segments, the translation cache, the glossary and name index, and argos model management."""
