from summarize import summarize_article


def test_scripted_server_answers_a_summary(scripted, scripted_settings):
    summary = summarize_article("臺南今天天氣晴朗。", settings=scripted_settings)
    assert summary.text == "A scripted summary."
    assert len(scripted.chat_requests) == 1
    assert "臺南今天天氣晴朗。" in scripted.chat_requests[0].user_text
