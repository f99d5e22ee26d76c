"""The mechanism of the hang, in 40 lines of pyzmq: a reply lost by a raw send on an asyncio socket.

A client awaits a reply on an asyncio DEALER socket (nbclient: ``shell_channel.get_msg()``). The
reply arrives while the event loop is busy; then, before the loop looks at the socket again,
something sends on the same socket *past* pyzmq's asyncio layer, as jupyter_client's
``Session.send`` does (``zmq.Socket.shadow(socket.underlying).send_multipart(...)``). That send
processes libzmq's pending commands, which consumes the edge-triggered ``ZMQ_FD`` wake-up of the
reply, and pyzmq is never told to look again: the reply sits in the socket (``ZMQ_EVENTS`` says
POLLIN) and the await never returns. Sent through the asyncio socket, pyzmq re-checks the socket
after the send and the reply is delivered.

    .venv/bin/python benchmarks/repro/lost_wakeup.py
    asyncio send -> delivered
    raw shadow send -> LOST (the reply is unread in the socket: ZMQ_EVENTS says POLLIN = True)
"""

import asyncio
import time

import zmq
import zmq.asyncio


async def trial(raw: bool) -> str:
    router = zmq.Context.instance().socket(zmq.ROUTER)
    port = router.bind_to_random_port("tcp://127.0.0.1")
    dealer = zmq.asyncio.Context.instance().socket(zmq.DEALER)
    dealer.connect(f"tcp://127.0.0.1:{port}")
    await dealer.send(b"execute_request")
    ident, _ = router.recv_multipart()
    waiting = asyncio.ensure_future(dealer.poll(None))  # nbclient waiting for the execute_reply
    await asyncio.sleep(0.1)
    router.send_multipart([ident, b"execute_reply"])  # the kernel replies...
    time.sleep(0.1)  # ...while the client's loop is busy (handling IOPub messages)
    if raw:  # what jupyter_client's Session.send does with an asyncio socket
        zmq.Socket.shadow(dealer.underlying).send(b"comm_msg")
    else:
        await dealer.send(b"comm_msg")
    try:
        await asyncio.wait_for(waiting, 2)
        result = "delivered"
    except asyncio.TimeoutError:
        pending = bool(dealer.get(zmq.EVENTS) & zmq.POLLIN)
        result = f"LOST (the reply is unread in the socket: ZMQ_EVENTS says POLLIN = {pending})"
    dealer.close(0)
    router.close(0)
    return result


if __name__ == "__main__":
    for raw in (False, True):
        print("raw shadow send" if raw else "asyncio send", "->", asyncio.run(trial(raw)))
