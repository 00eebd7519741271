-- Wireshark 4.0 does not hand WebSocket payloads of the subprotocol "mqtt"
-- to its MQTT dissector (nothing registers "mqtt" in the "ws.protocol"
-- table); this does:  tshark -X lua_script:tests/payload/mqtt_ws.lua ...
local ws = DissectorTable.get("ws.protocol")
if ws:get_dissector("mqtt") == nil then
  ws:add("mqtt", Dissector.get("mqtt"))
end
