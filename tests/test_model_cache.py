"""The trained classifier kept on disk between starts (bot/understanding/intent_classifier.py `trained`,
MODEL_CACHE_DIR)."""
from __future__ import annotations

from bot.understanding import embedding


def test_a_trained_classifier_is_kept_on_disk_and_the_next_process_reads_it_instead_of_training(tmp_path):
    """Training the content takes 5-15 s at every start (a restart, each gunicorn runner, each test's bot process):
    with MODEL_CACHE_DIR what one process trained, the next reads in a fraction of a second."""
    from bot.understanding import intent_classifier as ic

    examples = [("dates", "งานจัดวันไหน"), ("dates", "when is the event"), ("where", "จัดที่ไหน"),
                ("where", "where is it held"), ("oos", "ฝนตกไหม"), ("oos", "who won the lottery")]
    encode = embedding.ENCODER.encode
    words = lambda text: tuple(text.lower().split())  # noqa: E731
    trainings = []

    def build():
        trainings.append(1)
        return ic.IntentClassifier(examples, words, encode, "oos")

    def attach(fitted):
        return ic.IntentClassifier.attach(fitted, words, encode)

    key = ic.fingerprint(examples, "disk-cache-test")
    first = ic.trained(key, build, attach, tmp_path)
    ic._CACHE.pop(key)  # a new process: nothing in memory
    second = ic.trained(key, build, attach, tmp_path)
    assert trainings == [1] and second is not first
    assert second.probabilities("จัดวันไหนคะ") == first.probabilities("จัดวันไหนคะ")
    ic._CACHE.pop(key)
    for path in tmp_path.glob("*.pickle"):
        path.write_bytes(b"cut short")  # a damaged file is trained over, never trusted
    third = ic.trained(key, build, attach, tmp_path)
    assert trainings == [1, 1] and max(third.probabilities("where is it held").items(), key=lambda kv: kv[1])[0] == "where"
    ic._CACHE.pop(key)
