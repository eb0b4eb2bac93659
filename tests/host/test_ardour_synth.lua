-- Ardour 7 headless session steps for tests/host/test_ardour_synth.py, run
-- by Debian's ardour7-lua (no GUI, no display).
--
--   ardour7-lua test_ardour_synth.lua create DIR NAME RATE BLOCK URI
--       a new session on the dummy backend (BLOCK samples per cycle): one
--       MIDI track "synth" with the instrument URI, its audio outputs
--       connected to the master bus by hand
--   ardour7-lua test_ardour_synth.lua notes DIR NAME BLOCK NOTES POINTS
--       load the session (the test has put an empty MIDI region on the
--       track by editing its XML), write the notes of NOTES (lines "start
--       length note velocity", in ticks of 1/1920 beat from the region's
--       start) into the region through its model, as the piano roll does
--       (a NoteDiffCommand), write the automation POINTS ("sample port
--       value") on the instrument's controls, set them to Play and save
--   ardour7-lua test_ardour_synth.lua export DIR NAME BLOCK OUTDIR FIRST END PRESET
--       load the session, check the region's notes and the automation,
--       export the master over [FIRST, END) into OUTDIR/heist.wav
--
-- Every step prints "step: ..."; a failure ends the script with an error
-- (exit status 1) that names the step.

-- The shared steps (ardour_common.lua, its path from test_ardour.run_lua).
local common = dofile(assert(os.getenv("HEIST_ARDOUR_COMMON"),
	"HEIST_ARDOUR_COMMON: the path of tests/host/ardour_common.lua"))
local fail, load = common.fail, common.load

local function the_track()
	return common.track("synth")
end

local function the_region(t)
	local regions = t:playlist():region_list()
	if regions:size() ~= 1 then
		fail(regions:size() .. " regions on the track's playlist, want the one the test added")
	end
	local r
	for reg in regions:iter() do
		r = reg:to_midiregion()
	end
	if r:isnil() then
		fail("the track's region is not a MIDI region")
	end
	return r
end

local function count_notes(region)
	local n = 0
	for _ in ARDOUR.LuaAPI.note_list(region:model()):iter() do
		n = n + 1
	end
	return n
end

local function create(dir, name, rate, block, uri)
	common.create(dir, name, rate, block)
	local info = ARDOUR.LuaAPI.new_plugin_info(uri, ARDOUR.PluginType.LV2)
	if info:isnil() then
		fail("no LV2 plugin " .. uri .. " (LV2_PATH=" .. (os.getenv("LV2_PATH") or "") .. ")")
	end
	-- new_midi_track (inputs, outputs, strict I/O, instrument, preset,
	-- group, count, name, order, mode, input auto-connect, trigger
	-- visibility): the track the "Add Track" dialog makes with an instrument.
	local tl = Session:new_midi_track(ARDOUR.ChanCount(ARDOUR.DataType("midi"), 1),
		ARDOUR.ChanCount(ARDOUR.DataType("audio"), 2), true, info, nil, nil, 1, "synth",
		ARDOUR.PresentationInfo.max_order, ARDOUR.TrackMode.Normal, false, false)
	if tl:size() ~= 1 then
		fail("new_midi_track")
	end
	local t = tl:front()
	local proc = t:the_instrument()
	if proc:isnil() then
		fail("the track has no instrument")
	end
	print("step: track " .. t:name() .. " with " .. proc:display_name() .. ", " ..
	      t:n_outputs():n_audio() .. " audio outputs")
	if t:n_outputs():n_audio() < 1 then
		fail("the instrument's track has no audio output")
	end
	-- Auto-connect is asynchronous (HOSTS.md): wire the outputs by hand.
	t:output():disconnect_all(nil)
	local m = Session:master_out()
	for i = 0, 1 do
		local src = t:output():audio(math.min(i, t:n_outputs():n_audio() - 1))
		local dst = m:input():audio(i):name()
		if src:connect(dst) ~= 0 then
			fail("connect " .. src:name() .. " -> " .. dst)
		end
	end
	common.save()
end

local function notes(dir, name, block, notes_file, points_file)
	load(dir, name, block)
	local t = the_track()
	local region = the_region(t)
	if count_notes(region) ~= 0 then
		fail("the new region is not empty")
	end
	-- The piano roll's way: one NoteDiffCommand on the region's model.
	local model = region:model()
	local cmd = model:new_note_diff_command("heist test notes")
	local written = 0
	for line in io.lines(notes_file) do
		local s, len, note, vel = line:match("^(%d+)%s+(%d+)%s+(%d+)%s+(%d+)$")
		if not s then
			fail("bad line in " .. notes_file .. ": " .. line)
		end
		cmd:add(ARDOUR.LuaAPI.new_noteptr(0, Temporal.Beats.ticks(tonumber(s)),
			Temporal.Beats.ticks(tonumber(len)), tonumber(note), tonumber(vel)))
		written = written + 1
	end
	model:apply_command(Session, cmd)
	print("step: " .. count_notes(region) .. " notes in the region, " .. written .. " written")
	if count_notes(region) ~= written then
		fail("the region holds " .. count_notes(region) .. " notes, " .. written .. " written")
	end

	local proc = t:the_instrument()
	common.automate(proc, points_file)
	common.save()
end

local function export(dir, name, block, outdir, first, last, preset)
	load(dir, name, block)
	local t = the_track()
	local region = the_region(t)
	print("step: the region holds " .. count_notes(region) .. " notes")
	local proc = t:the_instrument()
	common.check_automation(proc, "instrument")
	common.export(outdir, first, last, preset)
end

local mode = arg[1]
if mode == "create" then
	create(arg[2], arg[3], tonumber(arg[4]), tonumber(arg[5]), arg[6])
elseif mode == "notes" then
	notes(arg[2], arg[3], tonumber(arg[4]), arg[5], arg[6])
elseif mode == "export" then
	export(arg[2], arg[3], tonumber(arg[4]), arg[5], tonumber(arg[6]), tonumber(arg[7]),
	       arg[8])
else
	fail("usage: test_ardour_synth.lua create|notes|export ...")
end
-- As test_ardour.lua: drop the script's references while the session lives.
collectgarbage()
collectgarbage()
close_session()
print("step: done")
