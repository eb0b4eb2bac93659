-- Steps shared by the Ardour 7 headless session scripts (test_ardour.lua,
-- test_ardour_synth.lua, test_ardour_midi_out.lua), run by ardour7-lua.
-- Each script loads this file with dofile from the path test_ardour.run_lua
-- puts in HEIST_ARDOUR_COMMON (ardour7-lua gives a script no path of its
-- own: arg[0] is nil) and takes the functions from the table it returns.

local M = {}

function M.fail(msg)
	error("FAIL: " .. msg, 0)
end

function M.start_backend(block)
	-- The dummy backend is hidden unless this is set (HOSTS.md).
	ARDOUR.config():set_hide_dummy_backend(false)
	if not AudioEngine:set_backend("None (Dummy)", "", "") then
		M.fail("cannot select the backend \"None (Dummy)\"")
	end
	-- Kept by the stopped backend; the engine starts with it.
	AudioEngine:set_buffer_size(block)
end

function M.check_block(block)
	print("step: rate " .. Session:nominal_sample_rate() .. ", block " ..
	      Session:get_block_size())
	if Session:get_block_size() ~= block then
		M.fail("block size " .. Session:get_block_size() .. ", asked for " .. block)
	end
end

function M.load(dir, name, block)
	M.start_backend(block)
	if not load_session(dir, name) then
		M.fail("load_session " .. dir)
	end
	print("step: session loaded")
	M.check_block(block)
end

-- The track named name in the session.
function M.track(name)
	for r in Session:get_routes():iter() do
		if r:name() == name then
			return r:to_track()
		end
	end
	M.fail("no track named " .. name .. " in the session")
end

-- The session saved under its own name (no snapshot, no template).
function M.save()
	Session:save_state("", false, false, false, false, false)
	print("step: saved")
end

-- A new session on the dummy backend, BLOCK samples per cycle.
function M.create(dir, name, rate, block)
	M.start_backend(block)
	if not create_session(dir, name, rate) then
		M.fail("create_session " .. dir)
	end
	print("step: session created")
	M.check_block(block)
end

-- A mono audio track with two outputs (new_audio_track: inputs, outputs,
-- group, count, name, order, mode, input auto-connect).
function M.new_audio_track(name)
	local tl = Session:new_audio_track(1, 2, nil, 1, name,
		ARDOUR.PresentationInfo.max_order, ARDOUR.TrackMode.Normal, false)
	if tl:size() ~= 1 then
		M.fail("new_audio_track")
	end
	return tl:front()
end

-- Track t's two audio outputs to the master's inputs, by hand: auto-connect
-- is asynchronous and can lose the race with the save (HOSTS.md).
function M.connect_to_master(t)
	local m = Session:master_out()
	for i = 0, 1 do
		local dst = m:input():audio(i):name()
		if t:output():audio(i):connect(dst) ~= 0 then
			M.fail("connect " .. t:output():audio(i):name() .. " -> " .. dst)
		end
	end
	return m
end

-- The index n for plugin_automation of the plugin's control input port
-- `port` (an lv2:index): plugin_automation counts the plugin's control
-- ports, inputs and outputs alike (Plugin::nth_parameter), so n is not the
-- LV2 port index.
function M.parameter_index(proc, port)
	local plug = proc:to_insert():plugin(0)
	for n = 0, plug:parameter_count() - 1 do
		local id, refs = plug:nth_parameter(n, false)
		if refs[2] and id == port then
			return n
		end
	end
	M.fail("no control parameter for port " .. port)
end

-- The automation of points_file (lines "sample port value") on the plugin
-- processor proc, one control list per port, each set to Play.
function M.automate(proc, points_file)
	local lists = {}
	for line in io.lines(points_file) do
		local s, port, v = line:match("^(%d+)%s+(%d+)%s+(%S+)$")
		if not s then
			M.fail("bad line in " .. points_file .. ": " .. line)
		end
		port = tonumber(port)
		if not lists[port] then
			local n = M.parameter_index(proc, port)
			local al, cl, pd = ARDOUR.LuaAPI.plugin_automation(proc, n)
			if al:isnil() then
				M.fail("plugin_automation port " .. port)
			end
			lists[port] = { cl = cl, count = 0 }
			print(string.format("step: port %d is parameter %d, \"%s\", range %g..%g",
				port, n, pd.label, pd.lower, pd.upper))
		end
		-- No guard points, no initial point: exactly the listed points.
		lists[port].cl:add(Temporal.timepos_t(tonumber(s)), tonumber(v), false, false)
		lists[port].count = lists[port].count + 1
	end
	for port, l in pairs(lists) do
		local ac = proc:to_automatable():automation_control(
			Evoral.Parameter(ARDOUR.AutomationType.PluginAutomation, 0, port), false)
		if ac:isnil() then
			M.fail("no automation control for port " .. port)
		end
		ac:set_automation_state(ARDOUR.AutoState.Play)
		print("step: port " .. port .. ": " .. l.cl:size() .. " points, state Play")
		if l.cl:size() ~= l.count then
			M.fail("port " .. port .. ": " .. l.cl:size() .. " points in the list, " ..
			       l.count .. " written")
		end
	end
end

-- The plugin processor proc (what: "plugin", "instrument") is on the track
-- after a reload and its automation plays: each control set to Play and its
-- points printed; none is a failure.
function M.check_automation(proc, what)
	if proc:isnil() then
		M.fail("no " .. what .. " on the track after reloading the session")
	end
	print("step: " .. proc:display_name() .. " on the track, latency " ..
	      proc:signal_latency() .. " samples")
	local plug = proc:to_insert():plugin(0)
	local automated = 0
	for n = 0, plug:parameter_count() - 1 do
		local port, refs = plug:nth_parameter(n, false)
		if refs[2] and plug:parameter_is_input(port) then
			local ac = proc:to_automatable():automation_control(
				Evoral.Parameter(ARDOUR.AutomationType.PluginAutomation, 0, port), false)
			if not ac:isnil() and ac:automation_state() == ARDOUR.AutoState.Play then
				print("step: port " .. port .. " plays " .. ac:alist():size() .. " points")
				automated = automated + 1
			end
		end
	end
	if automated == 0 then
		M.fail("no control of the " .. what .. " plays automation")
	end
end

-- The plugin uri inserted first on track t.
function M.insert_plugin(t, uri)
	local proc = ARDOUR.LuaAPI.new_plugin(Session, uri, ARDOUR.PluginType.LV2, "")
	if proc:isnil() then
		M.fail("new_plugin " .. uri .. " (LV2_PATH=" .. (os.getenv("LV2_PATH") or "") .. ")")
	end
	if not t:add_processor_by_index(proc, 0, nil, true) then
		M.fail("add_processor_by_index")
	end
	print("step: inserted " .. proc:display_name() .. ", latency " ..
	      proc:signal_latency() .. " samples")
	return proc
end

-- The master over [first, last) into outdir/heist.wav with the export
-- preset (the test's float WAV format).
function M.export(outdir, first, last, preset)
	local e = Session:simple_export()
	if not e:set_preset(preset) then
		M.fail("no export preset " .. preset .. " (ARDOUR_EXPORT_FORMATS_PATH=" ..
		       (os.getenv("ARDOUR_EXPORT_FORMATS_PATH") or "") .. ")")
	end
	e:set_folder(outdir)
	e:set_name("heist")
	e:set_range(first, last)
	if not e:check_outputs() then
		M.fail("nothing to export (no master bus outputs)")
	end
	print("step: exporting samples " .. first .. ".." .. last .. " to " .. outdir)
	if not e:run_export() then
		M.fail("export")
	end
	print("step: exported")
end

return M
