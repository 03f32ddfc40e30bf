"""service.models.username_key: why the rows already stored need no migration."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from service.models import username_key
from service.schemas import UserCreate

# The pattern registration validates usernames with (the only way a row gets a key).
EMAIL_PATTERN = UserCreate.model_fields["username"].metadata[0].pattern


def former_username_key(username: str) -> str:
    """The key function before issue 11 item 13: Unicode folding and stripping."""
    return username.strip().casefold()


@settings(max_examples=500, deadline=None)
@given(st.from_regex(EMAIL_PATTERN, fullmatch=True))
def test_keys_of_every_registrable_username_are_unchanged(username):
    # Registration has only ever accepted ASCII e-mail addresses (the pattern has been
    # ASCII since the first commit), and on ASCII without surrounding whitespace the old
    # and new keys agree: every stored username_key is still the key of its username.
    assert username_key(username) == former_username_key(username)


@given(st.text(alphabet=st.characters(codec="ascii"), max_size=60))
def test_keys_agree_with_ascii_lower_on_ascii(username):
    assert username_key(username) == username.lower()


def test_the_old_key_folded_lookalikes_onto_ascii_accounts():
    # What the new key no longer does (the defect).
    for lookalike, ascii_name in [("\u212aelvin", "kelvin"), ("\u017fam", "sam"),
                                  ("\ufb01sh", "fish"), ("ro\u00df", "ross")]:  # fmt: skip
        assert former_username_key(lookalike) == ascii_name
        assert username_key(lookalike) != ascii_name
