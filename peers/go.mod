module github.com/wsx-go/websocket/peers

go 1.26

replace github.com/wsx-go/websocket => ../

require (
	github.com/coder/websocket v1.8.15
	github.com/gorilla/websocket v1.5.3
	github.com/wsx-go/websocket v0.0.0-00010101000000-000000000000
)

require github.com/klauspost/compress v1.20.3 // indirect
