-- The functions C calls on its one path into Lua (fatal, beforeExit,
-- exit). lua/process.lua fills this table; bootstrap.lua hands it to C.
return {}
