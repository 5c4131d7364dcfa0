from tradelane.core.ids import new_id


def test_ids_are_prefixed_unique_and_time_ordered() -> None:
    ids = [new_id("evt") for _ in range(1000)]
    assert len(set(ids)) == 1000
    assert all(i.startswith("evt_") and len(i) == 30 for i in ids)
    # the first 9 characters (45 bits) are all timestamp, so they never go backwards
    prefixes = [i[4:13] for i in ids]
    assert prefixes == sorted(prefixes)
