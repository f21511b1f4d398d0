module notifypush.example/backend

go 1.19
