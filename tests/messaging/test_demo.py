"""The demo conversation: realistic, written through the services, nothing left to send."""

from __future__ import annotations

from openipt.messaging.demo import DEMO_CONVERSATION, seed_demo_messages
from openipt.messaging.models import MessageNotification, NotificationStatus
from openipt.messaging.selectors import conversation, own_thread_access, unread_count_for_client
from tests.world import World


def test_demo_conversation_reads_like_a_week_with_one_reply_waiting(world: World) -> None:
    thread = seed_demo_messages(
        client=world.client_1, client_user=world.client_user_1, clinician=world.clinician
    )
    lines = conversation(
        access=own_thread_access(user=world.client_user_1), actor=world.client_user_1
    )
    assert len(lines) == len(DEMO_CONVERSATION)
    times = [line.message.created_at for line in lines]
    assert times == sorted(times)
    assert thread.last_message_at == times[-1]
    assert unread_count_for_client(client=world.client_1) == 1
    # Alice's own messages carry a receipt from her clinician, in working hours.
    own = [line for line in lines if line.own_side]
    assert own and all(line.read_at is not None for line in own)
    assert sum(1 for line in lines if line.attachment is not None) == 1
    assert not MessageNotification.objects.filter(status=NotificationStatus.PENDING).exists()
