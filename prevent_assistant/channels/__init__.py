"""The public input channels Rasa loads from ``credentials.yml``.

``guard`` holds the checks every public request passes (size, origin, rate limits, a 4xx with a reason
instead of a traceback); ``rest`` is Rasa's REST webhook behind those checks and ``widget`` the website
chat widget's channel, which also serves the widget's files and pages.
"""
