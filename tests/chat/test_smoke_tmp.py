import pytest
from asgiref.sync import sync_to_async
from chat import services

@pytest.mark.django_db(transaction=True)
async def test_smoke(connect, alice, bob, public_room):
    a, hello = await connect(alice)
    b, _ = await connect(bob)
    print(hello)
    await a.send_json_to({"type": "send", "room": "general", "body": "hi", "client_id": "c1"})
    print(await a.receive_json_from())
    print(await a.receive_json_from())
    print(await b.receive_json_from())
    await sync_to_async(services.room_archive)(actor=alice, room=public_room)
    print(await b.receive_json_from())
