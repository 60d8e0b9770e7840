"""Stage 2, segment: split an ingested article into headings, sentences, embedded tweets and their
attribution lines, hashtag lines, datelines, timestamps and duplicated paragraphs."""
