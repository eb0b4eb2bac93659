-- Ardour 7 headless session steps for tests/host/test_ardour_midi_out.py,
-- run by Debian's ardour7-lua (no GUI, no display).
--
--   ardour7-lua test_ardour_midi_out.lua create DIR NAME RATE BLOCK URI
--       a new session on the dummy backend: a mono audio track "voice" with
--       the effect URI on it, a MIDI port added to the track's outputs (the
--       plugin's MIDI out leaves the track there), and a MIDI track "rec"
--       whose input is that port; voice's audio goes to the master
--   ardour7-lua test_ardour_midi_out.lua record DIR NAME BLOCK SECONDS
--       load the session (the test has put a region on "voice" by editing
--       its XML), arm "rec", roll with the session recording for SECONDS
--       from 0 (the dummy backend runs in real time), stop, save, and print
--       each recorded region ("region: POSITION START LENGTH SOURCE_NAME",
--       samples)
--
-- Every step prints "step: ..."; a failure ends the script with an error.

-- The shared steps (ardour_common.lua, its path from test_ardour.run_lua).
local common = dofile(assert(os.getenv("HEIST_ARDOUR_COMMON"),
	"HEIST_ARDOUR_COMMON: the path of tests/host/ardour_common.lua"))
local fail, start_backend = common.fail, common.start_backend

local function create(dir, name, rate, block, uri)
	common.create(dir, name, rate, block)
	local voice = common.new_audio_track("voice")
	-- Strict I/O would drop the plugin's MIDI output (the track's own data
	-- is audio); without it the route passes what the plugin makes.
	voice:set_strict_io(false)
	common.insert_plugin(voice, uri)
	voice:output():disconnect_all(nil)
	-- Without strict I/O the track grows a MIDI output port for the
	-- plugin's MIDI out by itself.
	common.connect_to_master(voice)
	local rl = Session:new_midi_track(ARDOUR.ChanCount(ARDOUR.DataType("midi"), 1),
		ARDOUR.ChanCount(ARDOUR.DataType("midi"), 1), true, ARDOUR.PluginInfo(), nil, nil, 1,
		"rec", ARDOUR.PresentationInfo.max_order, ARDOUR.TrackMode.Normal, false, false)
	if rl:size() ~= 1 then
		fail("new_midi_track")
	end
	local rec = rl:front()
	rec:input():disconnect_all(nil)
	if voice:n_outputs():n_midi() ~= 1 then
		fail("voice has " .. voice:n_outputs():n_midi() .. " MIDI outputs, want the plugin's one")
	end
	local src = voice:output():midi(0)
	if src:connect(rec:input():midi(0):name()) ~= 0 then
		fail("connect " .. src:name() .. " -> " .. rec:input():midi(0):name())
	end
	print("step: " .. src:name() .. " -> " .. rec:input():midi(0):name())
	print("step: voice outputs " .. voice:n_outputs():n_audio() .. " audio, " ..
	      voice:n_outputs():n_midi() .. " MIDI")
	common.save()
end

local function record(dir, name, block, seconds)
	start_backend(block)
	if not load_session(dir, name) then
		fail("load_session " .. dir)
	end
	print("step: session loaded, block " .. Session:get_block_size())
	local rec = common.track("rec")
	local voice = common.track("voice")
	print("step: voice holds " .. voice:playlist():region_list():size() .. " region(s), " ..
	      "plugin latency " .. voice:nth_plugin(0):signal_latency())
	rec:rec_enable_control():set_value(1, PBD.GroupControlDisposition.NoGroup)
	Session:maybe_enable_record(false)
	Session:request_locate(0, false, ARDOUR.LocateTransportDisposition.MustStop,
		ARDOUR.TransportRequestSource.TRS_UI)
	ARDOUR.LuaAPI.usleep(500000)
	Session:request_roll(ARDOUR.TransportRequestSource.TRS_UI)
	local rate = Session:nominal_sample_rate()
	local waited = 0
	while Session:transport_sample() < seconds * rate do
		ARDOUR.LuaAPI.usleep(100000)
		waited = waited + 0.1
		if waited > seconds * 3 + 30 then
			fail("the transport is at " .. Session:transport_sample() .. " after " .. waited ..
			     " s")
		end
	end
	print("step: rolled to " .. Session:transport_sample() .. ", recording " ..
	      tostring(Session:actively_recording()))
	Session:request_stop(false, false, ARDOUR.TransportRequestSource.TRS_UI)
	waited = 0
	while not Session:transport_stopped() do
		ARDOUR.LuaAPI.usleep(100000)
		waited = waited + 0.1
		if waited > 30 then
			fail("the transport does not stop")
		end
	end
	ARDOUR.LuaAPI.usleep(1000000) -- the butler writes the capture
	Session:disable_record(false, false)
	rec:rec_enable_control():set_value(0, PBD.GroupControlDisposition.NoGroup)
	common.save()
	-- The recorded region and its source (the test reads the notes from the
	-- SMF Ardour wrote into midifiles/).
	for r in rec:playlist():region_list():iter() do
		print("region: " .. r:position():samples() .. " " .. r:start():samples() .. " " ..
		      r:length():samples() .. " " .. r:source(0):name())
	end
	print("step: recorded " .. rec:playlist():region_list():size() .. " region(s)")
end

local mode = arg[1]
if mode == "create" then
	create(arg[2], arg[3], tonumber(arg[4]), tonumber(arg[5]), arg[6])
elseif mode == "record" then
	record(arg[2], arg[3], tonumber(arg[4]), tonumber(arg[5]))
else
	fail("usage: test_ardour_midi_out.lua create|record ...")
end
collectgarbage()
collectgarbage()
close_session()
print("step: done")
