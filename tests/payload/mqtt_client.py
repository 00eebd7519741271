#!/usr/bin/env python3
"""MQTT 3.1.1 over WebSocket client (paho-mqtt 2.x, transport="websockets").

    mqtt_client.py HOST PORT          (or: mqtt_client.py ws://HOST:PORT/mqtt)

CONNECT (keepalive 1 s, clean session, client id wsdbg-peer) -> CONNACK;
SUBSCRIBE wsdbg/test at QoS 2 -> SUBACK; then, one after the other, PUBLISH
"zero" at QoS 0, "one" at QoS 1 (PUBACK both ways) and "two" at QoS 2
(PUBREC/PUBREL/PUBCOMP both ways), each received back through the
subscription before the next is sent; then idles until a PINGREQ/PINGRESP
has passed (paho sends one after 1 s of silence); DISCONNECT.
Prints one line per thing received; exits 0 on success.
"""
import signal
import sys
import threading
import urllib.parse

import paho.mqtt.client as mqtt

TOPIC = "wsdbg/test"
TIMEOUT = 5


def main():
    if len(sys.argv) == 2 and "://" in sys.argv[1]:
        u = urllib.parse.urlsplit(sys.argv[1])
        host, port, path = u.hostname, u.port or 80, u.path or "/mqtt"
    elif len(sys.argv) == 3:
        host, port, path = sys.argv[1], int(sys.argv[2]), "/mqtt"
    else:
        sys.exit("usage: mqtt_client.py HOST PORT | ws://HOST:PORT/PATH")
    signal.signal(signal.SIGALRM, lambda *_: (print("mqtt_client: timed out", file=sys.stderr, flush=True), sys.exit(2)))
    signal.alarm(12)

    def out(line):
        print(line, flush=True)

    events = {name: threading.Event() for name in
              ("connack", "suback", "pingresp", "disconnected", "zero", "one", "two",
               "sent1", "sent2")}
    mids = {}

    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="wsdbg-peer",
                    transport="websockets", protocol=mqtt.MQTTv311)
    c.ws_set_options(path=path)

    def on_connect(client, userdata, flags, reason, properties):
        out(f"connack {reason}")
        events["connack"].set()

    def on_subscribe(client, userdata, mid, reasons, properties):
        out(f"suback {[r.value for r in reasons]}")
        events["suback"].set()

    def on_message(client, userdata, msg):
        text = msg.payload.decode()
        out(f"message {msg.topic} qos={msg.qos} {text}")
        events[text].set()

    def on_publish(client, userdata, mid, reason, properties):
        if mid == mids.get(1):
            out("puback")
            events["sent1"].set()
        elif mid == mids.get(2):
            out("pubcomp")
            events["sent2"].set()

    def on_log(client, userdata, level, buf):
        if buf.startswith("Received PINGRESP"):
            out("pingresp")
            events["pingresp"].set()

    def on_disconnect(client, userdata, flags, reason, properties):
        events["disconnected"].set()

    c.on_connect, c.on_subscribe, c.on_message = on_connect, on_subscribe, on_message
    c.on_publish, c.on_log, c.on_disconnect = on_publish, on_log, on_disconnect

    def wait(*names):
        for name in names:
            if not events[name].wait(TIMEOUT):
                sys.exit(f"mqtt_client: no {name}")

    c.connect(host, port, keepalive=1)
    c.loop_start()
    wait("connack")
    c.subscribe(TOPIC, qos=2)
    wait("suback")
    c.publish(TOPIC, "zero", qos=0)
    wait("zero")
    mids[1] = c.publish(TOPIC, "one", qos=1).mid
    wait("one", "sent1")
    mids[2] = c.publish(TOPIC, "two", qos=2).mid
    wait("two", "sent2")
    wait("pingresp")
    c.disconnect()
    wait("disconnected")
    c.loop_stop()
    out("disconnected")


if __name__ == "__main__":
    main()
