"""Issue 19 item 4: a long map says roughly how long it still takes."""
from genviz.embeddings import ui as emb


def test_time_left_is_extrapolated_from_the_share_done():
    assert emb.time_left(0.5, 10.0) == " · about 10 s left"
    assert emb.time_left(0.25, 4.0) == " · about 12 s left"
    assert emb.time_left(0.01, 3.0) == ""  # too early to say
    assert emb.time_left(0.99, 50.0) == " · almost done"
