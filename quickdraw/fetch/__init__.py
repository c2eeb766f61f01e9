"""Stage 1, bytes: mirrors and URLs, HTTP with Range and retries (``remote``), the per-user cache
(``cache``), first-N record prefixes (``partial``) and ``qd download`` / ``quickdraw.drawings``
(``download``). Every file is parsed by ``quickdraw.formats`` before it is cached."""
