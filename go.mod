module github.com/wsx-go/websocket

go 1.26
