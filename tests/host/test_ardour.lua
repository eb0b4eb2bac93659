-- Ardour 7 headless session steps for tests/host/test_ardour.py, run by
-- Debian's ardour7-lua (luasession: no GUI, no display needed).
--
--   ardour7-lua test_ardour.lua create DIR NAME RATE BLOCK
--       a new session on the dummy backend (BLOCK samples per cycle): one
--       mono audio track "voice", its (stereo, panned) output connected to
--       the master bus by hand
--   ardour7-lua test_ardour.lua plugin DIR NAME BLOCK URI POINTS DRYDIR FIRST END PRESET
--       load the session (the test has put a region on the track by editing
--       its XML), export it as it is into DRYDIR/heist.wav, then insert the
--       plugin URI first on the track, write the automation points of POINTS
--       (lines "sample port value", port an lv2:index) on its controls, set
--       them to Play and save
--   ardour7-lua test_ardour.lua export DIR NAME BLOCK OUTDIR FIRST END PRESET
--       load the session (the test has moved the automation to audio time
--       in its XML), check the plugin and its automation, export into
--       OUTDIR/heist.wav
--
-- Exports are of the master bus over samples [FIRST, END) with the export
-- preset PRESET (a uuid, found through ARDOUR_EXPORT_FORMATS_PATH). Every
-- step prints "step: ..." and a failure ends the script with an error
-- (exit status 1) that names the step.

-- The shared steps (ardour_common.lua, its path from test_ardour.run_lua).
local common = dofile(assert(os.getenv("HEIST_ARDOUR_COMMON"),
	"HEIST_ARDOUR_COMMON: the path of tests/host/ardour_common.lua"))
local fail, load = common.fail, common.load
local connect_to_master = common.connect_to_master

local function the_track()
	local t = common.track("voice")
	local regions = t:playlist():region_list():size()
	if regions ~= 1 then
		fail(regions .. " regions on the track's playlist, want the imported one")
	end
	return t
end

local export = common.export

local function create(dir, name, rate, block)
	common.create(dir, name, rate, block)
	local t = common.new_audio_track("voice")
	-- Auto-connect is asynchronous (HOSTS.md): wire the outputs by hand.
	t:output():disconnect_all(nil)
	local m = connect_to_master(t)
	print("step: track " .. t:name() .. " (" .. t:n_inputs():n_audio() .. " in, " ..
	      t:n_outputs():n_audio() .. " out) connected to " .. m:name())
	common.save()
end

local function plugin(dir, name, block, uri, points_file, drydir, first, last, preset)
	load(dir, name, block)
	local t = the_track()
	-- The track's plumbing alone: region, pan law, export alignment.
	export(drydir, first, last, preset)

	local proc = common.insert_plugin(t, uri)

	-- Points "sample port value", one control list per port.
	common.automate(proc, points_file)
	common.save()
end

local function export_plugin(dir, name, block, outdir, first, last, preset)
	load(dir, name, block)
	local t = the_track()
	local proc = t:nth_plugin(0)
	common.check_automation(proc, "plugin")
	export(outdir, first, last, preset)
end

local mode = arg[1]
if mode == "create" then
	create(arg[2], arg[3], tonumber(arg[4]), tonumber(arg[5]))
elseif mode == "plugin" then
	plugin(arg[2], arg[3], tonumber(arg[4]), arg[5], arg[6], arg[7],
	       tonumber(arg[8]), tonumber(arg[9]), arg[10])
elseif mode == "export" then
	export_plugin(arg[2], arg[3], tonumber(arg[4]), arg[5], tonumber(arg[6]),
	              tonumber(arg[7]), arg[8])
else
	fail("usage: test_ardour.lua create|plugin|export ...")
end
-- Drop every reference the script took (routes, processors, controls)
-- while the session still exists: collected after it, they read freed
-- memory (valgrind: ~IO and ~Stripable from the Lua GC). ardour7-lua still
-- dies at times around an export's end or the session's teardown, with or
-- without Heist in the session: test_ardour.py deals with that.
collectgarbage()
collectgarbage()
close_session()
print("step: done")
