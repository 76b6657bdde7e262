"""Settings split by environment: ``base`` reads the environment, the others adjust it.

- ``local``: the default for ``manage.py`` and ``make run`` (DEBUG on unless told otherwise).
- ``test``: the test suite (fast hashing, local memory cache unless ``REDIS_URL`` is set).
- ``production``: ``make serve`` and deployments (DEBUG off, secure headers, hashed static files).
"""
