from django.http import Http404


def hub(request):
    raise Http404("Not built yet")


def dataset_csv(request, dataset):
    raise Http404("Not built yet")


def dataset_json(request, dataset):
    raise Http404("Not built yet")
