"""Eligibility self-check (政策体检): programme conditions extracted from the documents into rules, an
enterprise profile, and a verdict per programme with every condition cited to its article.

rules.py    conditions -> rules (extraction over the chunker's outline)
profile.py  the enterprise profile (validated, Chinese errors naming the field)
check.py    verdicts per programme against an as_of date
store.py    rules per document version in the database, admin corrections
chat.py     profile facts from a chat question, the verdict as an answer
"""
