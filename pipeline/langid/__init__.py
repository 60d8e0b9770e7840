"""Stage 3, language identification: the language of every segment and of the parts of mixed segments."""
