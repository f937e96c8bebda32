"""Markers the library functions (``compiler.functions``) answer and the compiled SQL reads.

Kept apart from both so that compiling a spec needs neither phonenumbers nor email-validator.
"""

#: What ``phone_e164`` answers, before the candidates, for a number that several fallback
#: regions read as different valid numbers; never the start of an E.164 text ('+').
AMBIGUOUS_PHONE = "!"
