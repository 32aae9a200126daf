"""Keys: a lookup key of its own (FIELD_LOOKUP_KEY), lookups across a key change, and `rotate_field_keys`."""

from __future__ import annotations

import hashlib
import hmac
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from cases.models import ApplicantRecord
from govservice import keyrotation
from govservice.crypto import (
    EncryptedCharField,
    LookupHashField,
    _derive,
    encrypt,
    lookup_hash,
    lookup_hashes,
    read_stored,
)
from notifications.models import SmsMessage
from staff.models import User
from tests.factories.notifications import SmsMessageFactory

PHONES = [f"1390000{n:04d}" for n in range(7)]


def use_keys(settings, encryption: str, lookup: str = "") -> None:
    settings.FIELD_ENCRYPTION_KEY = encryption
    settings.FIELD_LOOKUP_KEY = lookup


def raw_column(model, column: str, pk) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {model._meta.db_table} WHERE id = %s", [pk])  # noqa: S608 - test names
        return cursor.fetchone()[0]


def set_raw(model, column: str, pk, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {model._meta.db_table} SET {column} = %s WHERE id = %s", [value, pk])  # noqa: S608


# --- The lookup key -----------------------------------------------------------------------------------


def test_without_a_lookup_key_the_hash_is_the_one_stored_before_the_setting_existed(settings):
    use_keys(settings, "enc-current")
    before = hmac.new(_derive("enc-current"), b"13812341234", hashlib.sha256).hexdigest()
    assert lookup_hash("13812341234") == before


def test_rotating_the_encryption_key_alone_still_finds_hashes_made_under_the_old_one(settings):
    use_keys(settings, "enc-old")
    old = lookup_hash("13812341234")
    use_keys(settings, "enc-new,enc-old")
    assert lookup_hashes("13812341234")[1] == old
    assert lookup_hash("13812341234") == lookup_hashes("13812341234")[0] != old


def test_a_lookup_key_of_its_own_does_not_move_when_the_encryption_key_changes(settings):
    use_keys(settings, "enc-old", lookup="lookup-a")
    hashed = lookup_hash("13812341234")
    use_keys(settings, "enc-new,enc-old", lookup="lookup-a")
    assert lookup_hashes("13812341234") == [hashed]
    assert hashed != hmac.new(_derive("enc-new"), b"13812341234", hashlib.sha256).hexdigest()


def test_during_a_lookup_key_change_both_hashes_are_looked_up_the_current_first(settings):
    use_keys(settings, "enc", lookup="lookup-old")
    old = lookup_hash("13812341234")
    use_keys(settings, "enc", lookup="lookup-new, lookup-old")
    hashes = lookup_hashes("13812341234")
    assert hashes[1] == old and hashes[0] == lookup_hash("13812341234") != old
    assert lookup_hashes("") == [] and lookup_hash("") == ""


def test_every_phone_and_id_hash_column_declares_where_its_value_comes_from():
    # A new `…phone_hash` / `…id_hash` column that is a plain CharField would never be recomputed by a rotation.
    plain = [
        f"{model.__name__}.{f.name}"
        for model in apps.get_models()
        for f in model._meta.concrete_fields
        if f.name.endswith(("phone_hash", "id_hash")) and not isinstance(f, LookupHashField)
    ]
    assert plain == []


def test_rotation_finds_every_encrypted_field_of_every_model_by_its_type():
    expected = {
        (model._meta.db_table, f.column)
        for model in apps.get_models()
        for f in model._meta.concrete_fields
        if isinstance(f, EncryptedCharField)
    }
    found = {(plan.table, f.column) for plan in keyrotation.discover() for f in plan.encrypted}
    assert found == expected
    assert ("staff_user", "mobile") in found and ("notifications_smsmessage", "phone") in found


# --- rotate_field_keys --------------------------------------------------------------------------------


def sms_under_old_keys(settings, n: int = 7) -> list[SmsMessage]:
    use_keys(settings, "enc-old", lookup="lookup-old")
    return [SmsMessageFactory.create(phone=PHONES[i % len(PHONES)]) for i in range(n)]


def rotate(*, batch_size: int = 3) -> keyrotation.RotationReport:
    plans = [p for p in keyrotation.discover() if p.model is SmsMessage]
    return keyrotation.rotate(plans=plans, batch_size=batch_size)


def assert_all_current(messages: list[SmsMessage]) -> None:
    for message in messages:
        clear, current = read_stored(raw_column(SmsMessage, "phone", message.id))
        assert current and clear == message.phone
        assert raw_column(SmsMessage, "phone_hash", message.id) == lookup_hash(message.phone)


@pytest.mark.django_db
def test_rotation_reencrypts_every_value_and_recomputes_every_hash_under_the_newest_keys(settings):
    messages = sms_under_old_keys(settings)
    use_keys(settings, "enc-new,enc-old", lookup="lookup-new,lookup-old")
    report = rotate()
    assert_all_current(messages)
    phone, phone_hash = report.columns
    assert (phone.checked, phone.changed, phone.current, phone.unreadable) == (7, 7, 0, 0)
    assert (phone_hash.checked, phone_hash.changed) == (7, 7)
    assert report.complete
    # Only the newest keys are needed now.
    use_keys(settings, "enc-new", lookup="lookup-new")
    assert SmsMessage.objects.get(id=messages[0].id).phone == PHONES[0]
    assert SmsMessage.objects.filter(phone_hash__in=lookup_hashes(PHONES[0])).count() == 1


@pytest.mark.django_db
def test_a_second_rotation_changes_nothing(settings):
    sms_under_old_keys(settings)
    use_keys(settings, "enc-new,enc-old", lookup="lookup-new,lookup-old")
    rotate()
    again = rotate()
    assert [(c.checked, c.current, c.changed) for c in again.columns] == [(7, 7, 0), (7, 7, 0)]


@pytest.mark.django_db
def test_a_rotation_killed_midway_resumes_where_it_stopped_when_run_again(settings, monkeypatch):
    messages = sms_under_old_keys(settings)
    use_keys(settings, "enc-new,enc-old", lookup="lookup-new,lookup-old")
    real_apply = keyrotation._apply_batch
    applied = []

    def killed_after_two_batches(plan, changes):
        if len(applied) == 2:
            raise KeyboardInterrupt  # as a kill between two batches
        real_apply(plan, changes)
        applied.append(plan)

    monkeypatch.setattr(keyrotation, "_apply_batch", killed_after_two_batches)
    with pytest.raises(KeyboardInterrupt):
        rotate(batch_size=3)
    done = [read_stored(raw_column(SmsMessage, "phone", m.id))[1] for m in messages]
    assert done == [True] * 6 + [False]  # two committed batches of three, the third never written

    monkeypatch.setattr(keyrotation, "_apply_batch", real_apply)
    resumed = rotate(batch_size=3)
    assert_all_current(messages)
    assert [(c.current, c.changed) for c in resumed.columns] == [(6, 1), (6, 1)]


@pytest.mark.django_db
def test_a_value_no_key_can_read_is_reported_and_left_as_it_is(settings):
    messages = sms_under_old_keys(settings, n=3)
    use_keys(settings, "enc-lost")
    lost = encrypt("13911112222")
    set_raw(SmsMessage, "phone", messages[1].id, lost)
    use_keys(settings, "enc-new,enc-old", lookup="lookup-new,lookup-old")
    report = rotate()
    assert ("notifications_smsmessage", messages[1].id, "phone") in report.unreadable
    assert raw_column(SmsMessage, "phone", messages[1].id) == lost
    assert report.columns[0].unreadable == 1 and report.columns[0].changed == 2
    assert not report.complete


@pytest.mark.django_db
def test_a_value_changed_by_the_application_during_the_batch_keeps_the_new_value(settings):
    messages = sms_under_old_keys(settings, n=2)
    use_keys(settings, "enc-new,enc-old", lookup="lookup-new,lookup-old")
    (plan,) = [p for p in keyrotation.discover() if p.model is SmsMessage]
    rows = keyrotation._read_batch(plan, after=None, size=10)
    changes = keyrotation._rotate_batch(plan, rows, keyrotation.tallies_for(plan), keyrotation.RotationReport())
    SmsMessage.objects.filter(id=messages[0].id).update(phone="13800009999", phone_hash=lookup_hash("13800009999"))
    keyrotation._apply_batch(plan, changes)
    assert SmsMessage.objects.get(id=messages[0].id).phone == "13800009999"
    assert raw_column(SmsMessage, "phone_hash", messages[0].id) == lookup_hash("13800009999")
    assert SmsMessage.objects.get(id=messages[1].id).phone == messages[1].phone


@pytest.mark.django_db
def test_a_hash_whose_source_row_is_gone_is_kept_and_the_old_key_must_stay(settings, centre):
    use_keys(settings, "enc-old", lookup="lookup-old")
    record = ApplicantRecord.objects.create(
        centre=centre, id_hash=lookup_hash("11010519491231002X"), id_masked="110105********002X", kind="false"
    )
    use_keys(settings, "enc-new,enc-old", lookup="lookup-new,lookup-old")
    plans = [p for p in keyrotation.discover() if p.model is ApplicantRecord]
    report = keyrotation.rotate(plans=plans)
    assert report.columns[0].no_source == 1 and not report.complete
    assert ApplicantRecord.objects.get(id=record.id).id_hash in lookup_hashes("11010519491231002X")


@pytest.mark.django_db
def test_the_command_rotates_every_model_and_ends_with_a_summary(settings, centre):
    use_keys(settings, "enc-old", lookup="lookup-old")
    user = User.objects.create(username="u1", name="张伟", centre=centre, mobile="13812341234")
    messages = [SmsMessageFactory.create(phone=PHONES[0])]
    use_keys(settings, "enc-new,enc-old", lookup="lookup-new,lookup-old")
    out = StringIO()
    call_command("rotate_field_keys", "--no-progress", "--batch-size", "2", stdout=out)
    assert_all_current(messages)
    assert read_stored(raw_column(User, "mobile", user.id)) == ("13812341234", True)
    text = out.getvalue()
    assert "staff_user" in text and "rows/s" in text
    assert "the old keys may be removed" in text
