app_name = "boroughs"
urlpatterns: list = []
