"""Field limits and read-only field names, for the code that needs them without pydantic.

service/schemas.py (pydantic, ~45 ms to import) validates with these; authentication
and the views only need the values, so a cold start that answers a GET never imports it.
"""

from __future__ import annotations

MAX_PASSWORD_BYTES = 72  # bcrypt's limit: longer would be silently truncated elsewhere
MIN_PASSWORD_LENGTH = 8

# The original API accepted (and ignored) these on user creation.
USER_READ_ONLY = frozenset({"id", "account_created", "account_updated"})
PRODUCT_READ_ONLY = frozenset({"id", "date_added", "date_last_updated", "owner_user_id"})
