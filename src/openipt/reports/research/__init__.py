"""The de-identified research export (docs/research-export.md).

Pure parts (no ORM): `cells` (formula neutralising, codes, age bands),
`pseudonyms` (per-export keys, pseudonyms and date shifts), `columns` and
`rows` (what each kind of file holds, from plain records). Around them:
`access` (who may export which rows), `queries` (the reads, in chunks of
clients) and `export` (audit, then stream).
"""
