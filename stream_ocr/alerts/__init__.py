"""Watchlists: rules that match live text, the alerts they raise, and webhooks that carry them.

Read in data-path order: ``rules`` (what a rule is and how it matches a text), ``watcher``
(checks each stream's tracks as they are read; one alert per rule and track), ``outbox``
(deliveries not yet made, in the database or in memory) and ``webhooks`` (the thread that
signs and POSTs them, with retries).
"""
