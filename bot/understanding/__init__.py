"""The understanding step: what a typed message that no exact command took asks for, and how sure the bot is.

    reading.py    the step: a feature intent, an FAQ entry or out of scope, with a probability, and the verdict
    intent_classifier.py  the classifier learned from the content's examples (meaning, characters, words side by side)
    faq.py        the FAQ organisers write (content/faq.toml) and its index of words (the lexical score)
    embedding.py  sentence embeddings (the meaning score), one model per process
    preload.py    the content loader, and the model's preload when this process starts answering

The dispatcher reads a message once (`ctx.reading`); handlers/understanding.py opens what was asked for and
handlers/faq.py answers, asks or declines.
"""
from .reading import (INTENT_MARK, PARAMS, Candidate, Intent, Params, Reading, Understanding, blend, decide,
                      load_intents)

__all__ = ["INTENT_MARK", "PARAMS", "Candidate", "Intent", "Params", "Reading", "Understanding", "blend", "decide",
           "load_intents"]
